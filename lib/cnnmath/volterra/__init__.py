"""Chapter 1, Li, Zhou, Qiu, Zhao, *Convolutional neural networks as Volterra convolutions*, JMLR 2022."""
