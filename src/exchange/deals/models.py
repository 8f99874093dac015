"""Models of the deals app."""
