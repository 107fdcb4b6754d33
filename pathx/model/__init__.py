"""Model: base models (backbones), adapters and the multi-task classifier with its inference."""
