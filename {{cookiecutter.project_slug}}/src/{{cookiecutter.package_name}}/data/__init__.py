"""Reading raw data, preparing it once, and serving it to the model in batches."""
