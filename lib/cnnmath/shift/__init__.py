"""Chapter 4, Leterme, Polisano, Perrier, Alahari, *On the shift invariance of max pooling feature maps in CNNs*, arXiv 2209.11740."""
