"""VQ image tokenizers (Chameleon, Emu3): the vocabulary map a checkpoint's tokenizer would give, for a tiny vocabulary.

These models quantize an image into VQ codebook indices and look up the text-vocabulary id of each index
in ``config.vocabulary_map`` (token name -> id), where the ``<image>`` placeholder is found too. The default
configs have no map (it comes with a checkpoint), so the tiny configs get one built here: the placeholder,
then one named token per codebook entry, in a block of consecutive ids, named as each model parses them.
"""

from __future__ import annotations


def chameleon_vocabulary(image_token: int, first_code: int, codebook: int) -> dict[str, int]:
    """Chameleon's map: ``<image>`` and, per code ``k``, ``IMGIMG`` + the digits of ``k`` as letters (0 -> A) + ``Z``."""
    letters = str.maketrans("0123456789", "ABCDEFGHIJ")
    codes = {f"IMGIMG{str(k).translate(letters)}Z": first_code + k for k in range(codebook)}
    return {"<image>": image_token, **codes}


def emu3_vocabulary(image_token: int, first_code: int, codebook: int) -> dict[str, int]:
    """Emu3's map: ``<image>``, the end-of-row token ``<|extra_200|>`` right after it, and per code ``k``
    ``<|visual token{k:06d}|>``."""
    codes = {f"<|visual token{k:06d}|>": first_code + k for k in range(codebook)}
    return {"<image>": image_token, "<|extra_200|>": image_token + 1, **codes}
