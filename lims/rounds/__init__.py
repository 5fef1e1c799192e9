"""A morning's sampling round: the keyboard grid, the result entry grid, the label sheet."""
