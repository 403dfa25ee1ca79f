"""The project's reusable code. Notebooks and scripts import it; they never copy it.

Modules, in the order data flows through them:
    data/example.py     fills data/raw with the example dataset (`make example-data`)
    data/prepare.py     turns data/raw into train/val/test arrays in data/processed (`make data`),
                        with the data source that configs/data/ names (a PreparedData)
    data/datamodule.py  PreparedData: prepares once, then serves the arrays in batches
    models/             the networks, and the LightningModules that train them
    train.py            trains and tests a model (`make train`)
    evaluate.py         tests a saved checkpoint (`make evaluate`)
"""
