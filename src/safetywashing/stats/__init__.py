"""Pure statistics kernels on numpy arrays: ranks, correlations, PCA.

Nothing here knows about files, model names or presentation; everything takes and
returns arrays so that resampling code can call the same kernels.
"""
