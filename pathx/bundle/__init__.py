"""Bundles: one versioned safetensors file per trained model, tied to its base by hash."""
