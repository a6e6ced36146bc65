"""Where recordings are kept: blob stores behind one small interface."""
