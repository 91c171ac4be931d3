"""VQ vocabulary maps, read back by the models' own mapping classes (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
from transformers.models.chameleon.modeling_chameleon import ChameleonImageVocabularyMapping  # noqa: E402
from transformers.models.emu3.modeling_emu3 import Emu3ImageVocabularyMapping  # noqa: E402

from hfguard.testing.recipes.vq import chameleon_vocabulary, emu3_vocabulary  # noqa: E402


def test_chameleon_maps_every_code_to_its_token():
    mapping = ChameleonImageVocabularyMapping(chameleon_vocabulary(4, 10, 16))
    assert mapping.image_token_id == 4
    assert mapping.convert_img2bpe(torch.arange(16)).tolist() == list(range(10, 26))


def test_emu3_maps_every_code_to_its_token_and_ends_rows():
    mapping = Emu3ImageVocabularyMapping(emu3_vocabulary(3, 10, 16))
    assert (mapping.image_token_id, mapping.eol_token_id) == (3, 4)
    rows = mapping.convert_img2bpe(torch.arange(16).view(2, 8))
    assert rows[:, :-1].flatten().tolist() == list(range(10, 26)) and rows[:, -1].tolist() == [4, 4]
