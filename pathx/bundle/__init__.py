"""Bundles: one versioned safetensors file per trained model, tied to its base by hash.

    reader  read and verify a file once -> Bundle; load_model(bundle)
    export  export, export_merged
    files   header without torch, listing, bundles/DEFAULT
    core    the API the CLI uses (verify, and the names above)
"""
