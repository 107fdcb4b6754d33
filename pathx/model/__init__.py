"""Model: base models (backbones), adapters and the multi-task classifier with its inference.

    backbones   base models on disk, weights hash, the Architecture table (one row per model type)
    adapters    the adapter registry (lora, ia3, prefix, frozen): names(), make(), get()
    config      ModelConfig (checked on construction), file names, pooling/padding choices
    tokens      tokenizer side: pad token, prompt wrap, the cut that keeps the Hints block
    classifier  MultiTaskClassifier (backbone -> pool -> heads)
    build       build_model, build_from_config, load_model
    inference   Inference: batched probabilities and predictions
"""
