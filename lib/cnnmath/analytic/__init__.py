"""Chapter 2, Cui et al., *Analytic convolutional layer*, arXiv 2407.06087 (2024)."""
