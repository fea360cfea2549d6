"""Chapter 3, Rolnick & Kording, *Reverse-engineering deep ReLU networks*, ICML 2020."""
