"""ONE reviewed table of names that per-model test files carry but that are not model types, as data.

``hfguard.naming`` reads it to map a file name (``test_hf_<name>.py``) to a model type or to explain why
not. Keys are compared normalised (lower case, letters and digits only). Nothing here is guessed: a name
that no rule and no table explains is reported as "not a model type", never mapped to a close one.

- ``SUFFIXES``: words teams append to a file name for versions of the same tests (``bert_improved``);
- ``CHECKPOINT_FAMILIES``: well-known checkpoint families and the model type their checkpoints load as;
- ``VARIANT_WORDS`` / ``VARIANT_PATTERNS``: size and variant words of checkpoint names (``bert_base_uncased``);
- ``REMOVED``: model types transformers v5 removed, with why;
- ``NOT_TRANSFORMERS``: names of things that are not transformers models at all (servers, APIs, other libraries);
- ``GENERIC_WORDS``: words that name a modality, a family or a tool, no model.
"""

from __future__ import annotations

SUFFIXES = ("improved", "standardized", "standardised", "fixed", "enhanced", "updated", "new", "old", "original", "backup",
            "bak", "copy", "refactored", "generated", "simple", "minimal", "comprehensive", "complete", "final", "working",
            "test", "tests", "extra")

# checkpoint family -> (model type its checkpoints load as, evidence); each model type exists in transformers 5.x
CHECKPOINT_FAMILIES: dict[str, tuple[str, str]] = {
    "pythia": ("gpt_neox", "EleutherAI's Pythia checkpoints are GPTNeoXForCausalLM"),
    "codellama": ("llama", "Code Llama checkpoints are LlamaForCausalLM"),
    "tinyllama": ("llama", "TinyLlama checkpoints are LlamaForCausalLM"),
    "llama2": ("llama", "Llama 2 checkpoints are LlamaForCausalLM"),
    "llama3": ("llama", "Llama 3 checkpoints are LlamaForCausalLM"),
    "vicuna": ("llama", "Vicuna checkpoints are LlamaForCausalLM"),
    "alpaca": ("llama", "Alpaca checkpoints are LlamaForCausalLM"),
    "flant5": ("t5", "FLAN-T5 checkpoints are T5ForConditionalGeneration"),
    "t5v11": ("t5", "T5 v1.1 checkpoints are T5ForConditionalGeneration"),
    "ul2": ("t5", "UL2 checkpoints are T5ForConditionalGeneration"),
    "mt0": ("mt5", "mT0 checkpoints are MT5ForConditionalGeneration"),
    "bloomz": ("bloom", "BLOOMZ checkpoints are BloomForCausalLM"),
    "distilgpt2": ("gpt2", "DistilGPT2 is a GPT2LMHeadModel checkpoint"),
    "debertav3": ("deberta-v2", "DeBERTa-v3 checkpoints are DebertaV2Model"),
    "minilm": ("bert", "MiniLM checkpoints are BertModel"),
    "starcoder": ("gpt_bigcode", "StarCoder checkpoints are GPTBigCodeForCausalLM"),
    "santacoder": ("gpt_bigcode", "SantaCoder's transformers port is GPTBigCodeForCausalLM"),
    "gptneo": ("gpt_neo", "GPT-Neo checkpoints are GPTNeoForCausalLM"),
    "dialogpt": ("gpt2", "DialoGPT checkpoints are GPT2LMHeadModel"),
    "biobert": ("bert", "BioBERT checkpoints are BertModel"),
    "scibert": ("bert", "SciBERT checkpoints are BertModel"),
    "finbert": ("bert", "FinBERT checkpoints are BertModel"),
    "sentencebert": ("bert", "Sentence-BERT checkpoints are BertModel"),
    "rubert": ("bert", "ruBERT checkpoints are BertModel"),
    "xlsr": ("wav2vec2", "XLS-R checkpoints are Wav2Vec2Model"),
    "phobert": ("roberta", "PhoBERT checkpoints are RobertaModel"),
    "openchat": ("mistral", "OpenChat 3.5 checkpoints are MistralForCausalLM"),
    "zephyr": ("mistral", "Zephyr checkpoints are MistralForCausalLM"),
}

VARIANT_WORDS = ("tiny", "mini", "small", "base", "medium", "large", "xl", "xxl", "huge", "giant", "uncased", "cased",
                 "multilingual", "instruct", "chat", "hf", "it", "en", "distilled", "deduped")
# whole tokens: parameter counts (7b, 1.3b, 125m), versions (v2), patch sizes (patch16), resolutions and other numbers
VARIANT_PATTERNS = (r"\d+(\.\d+)?[bmk]", r"v\d+(\.\d+)*", r"patch\d+", r"\d+")

_REMOVED_IN_V5 = "deprecated in transformers 4.x and removed in v5"
REMOVED: dict[str, str] = {
    "bort": f"{_REMOVED_IN_V5}; its checkpoints load as bert",
    "deta": _REMOVED_IN_V5,
    "efficientformer": _REMOVED_IN_V5,
    "ernie_m": _REMOVED_IN_V5,
    "gptsan_japanese": _REMOVED_IN_V5,
    "graphormer": _REMOVED_IN_V5,
    "jukebox": _REMOVED_IN_V5,
    "mctct": _REMOVED_IN_V5,
    "mega": _REMOVED_IN_V5,
    "mmbt": _REMOVED_IN_V5,
    "nat": _REMOVED_IN_V5,
    "nezha": _REMOVED_IN_V5,
    "open_llama": f"{_REMOVED_IN_V5}; its checkpoints load as llama",
    "qdqbert": _REMOVED_IN_V5,
    "realm": _REMOVED_IN_V5,
    "retribert": _REMOVED_IN_V5,
    "speech_to_text_2": _REMOVED_IN_V5,
    "tapex": f"{_REMOVED_IN_V5}; its checkpoints load as bart",
    "trajectory_transformer": _REMOVED_IN_V5,
    "transfo_xl": _REMOVED_IN_V5,
    "tvlt": _REMOVED_IN_V5,
    "van": _REMOVED_IN_V5,
    "vit_hybrid": _REMOVED_IN_V5,
    "xlm_prophetnet": _REMOVED_IN_V5,
}

_SERVER, _API, _DIFFUSERS, _GRAPH = "a serving engine", "a hosted API model", "a diffusers pipeline", "a graph neural network"
# a key matches a name that equals it, or starts with it followed by digits or further words (claude3_haiku)
NOT_TRANSFORMERS: dict[str, str] = {
    "tei": f"Text Embeddings Inference, {_SERVER}",
    "tgi": f"Text Generation Inference, {_SERVER}",
    "vllm": f"vLLM, {_SERVER}",
    "ollama": f"Ollama, {_SERVER}",
    "llamacpp": "llama.cpp, a C++ runtime",
    "onnx": "ONNX, a model format",
    "openvino": "OpenVINO, a runtime",
    "claude": f"Anthropic's Claude, {_API}",
    "gpt3": f"OpenAI's GPT-3, {_API}",
    "gpt4": f"OpenAI's GPT-4, {_API}",
    "gpt35": f"OpenAI's GPT-3.5, {_API}",
    "chatgpt": f"OpenAI's ChatGPT, {_API}",
    "gemini": f"Google's Gemini, {_API}",
    "stablediffusion": f"Stable Diffusion, {_DIFFUSERS}",
    "sdxl": f"Stable Diffusion XL, {_DIFFUSERS}",
    "audioldm": f"AudioLDM, {_DIFFUSERS}",
    "kandinsky": f"Kandinsky, {_DIFFUSERS}",
    "controlnet": f"ControlNet, {_DIFFUSERS}",
    "graphsage": f"GraphSAGE, {_GRAPH}",
    "gcn": f"a graph convolutional network, {_GRAPH}",
    "yolov": "Ultralytics YOLO, an object detector outside transformers",
    "sentencetransformers": "sentence-transformers, a library (its models are bert, mpnet, ... checkpoints)",
    "langchain": "LangChain, a library",
    "faiss": "FAISS, a vector index",
}

GENERIC_WORDS = ("audio", "vision", "text", "image", "video", "speech", "multimodal", "encoder", "decoder", "only",
                 "seq2seq", "causal", "masked", "lm", "llm", "model", "models", "base", "help", "utils", "util", "common",
                 "all", "template", "templates", "generator", "generic", "default", "example", "sample", "hf", "huggingface",
                 "transformers", "transformer", "pipeline", "pipelines", "tokenizer", "classification", "generation",
                 "embedding", "embeddings", "language", "qa", "translation", "summarization", "detection",
                 "segmentation", "integration", "benchmark", "api", "server", "runner", "main", "init", "mock", "dummy")
