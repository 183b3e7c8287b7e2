# Empty dependencies file for inceptionnext_torch.
# This may be replaced when dependencies are built.
