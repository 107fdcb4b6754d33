"""Force every Hugging Face library into offline mode before it is imported.

pathx runs on hospital workstations with no route to the internet; a library that
tries to reach a hub would hang or leak. Importing `pathx` calls `enforce()`.
"""
import os

OFFLINE_VARS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce() -> None:
    for name, value in OFFLINE_VARS.items():
        os.environ[name] = value
