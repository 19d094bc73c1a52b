"""Interactive explorers (ipywidgets) for the notebooks, one module per topic."""
