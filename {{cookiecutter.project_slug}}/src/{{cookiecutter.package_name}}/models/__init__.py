"""Networks (plain PyTorch) and the LightningModule that trains them."""
