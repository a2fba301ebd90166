"""The compiled twins (numba) of the readable loops of rnnlab.model, for speed."""
