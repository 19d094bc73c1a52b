"""Plots for the notebooks, one module per topic; each returns the figure and the data it drew."""
