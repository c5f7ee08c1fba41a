"""maskgate offline trainer: G2D masked-face recognition."""
