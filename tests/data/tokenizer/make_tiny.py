# Writes the two hand-made byte-level BPE tokenizers used by tests/tokenizer/test_byte_level_bpe.cpp:
# gpt2_tiny (GPT-2's ByteLevel pre-tokenizer with its regex) and llama3_tiny (Llama-3's Split regex
# + ByteLevel without regex, ignore_merges, a <|begin_of_text|> BOS via TemplateProcessing).
# Vocab: the 256 byte symbols in GPT-2's bytes_to_unicode order (ids 0..255), then one id per merge.
import json

def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))

b2u = bytes_to_unicode()
vocab = {}
for b, c in sorted(b2u.items(), key=lambda kv: ord(kv[1])):
    vocab[c] = len(vocab)
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("in", "g"), ("Ġ", "w"), ("o", "r"),
          ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("1", "2"), ("Ã", "©"), ("Ċ", "Ċ"), ("T", "he")]
for a, b in merges:
    vocab[a + b] = len(vocab)

def tok(pre_tokenizer, post_processor, specials, ignore_merges, merges_as_pairs):
    added = [{"id": len(vocab) + i, "content": s, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True} for i, s in enumerate(specials)]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
                      "vocab": vocab,
                      "merges": [[a, b] for a, b in merges] if merges_as_pairs
                                else [a + " " + b for a, b in merges]}}

gpt2 = tok({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
           {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
           ["<|endoftext|>"], False, False)
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
          r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
bos = "<|begin_of_text|>"
llama3 = tok({"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LLAMA3}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
             {"type": "TemplateProcessing",
              "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
              "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
              "special_tokens": {bos: {"id": bos, "ids": [len(vocab)], "tokens": [bos]}}},
             [bos, "<|end_of_text|>"], True, True)
for d, t, cfg in (("gpt2_tiny", gpt2, {"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|endoftext|>",
                                       "eos_token": "<|endoftext|>", "add_prefix_space": False}),
                  ("llama3_tiny", llama3, {"tokenizer_class": "PreTrainedTokenizerFast",
                                           "bos_token": bos, "eos_token": "<|end_of_text|>"})):
    json.dump(t, open(d + "/tokenizer.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    json.dump(cfg, open(d + "/tokenizer_config.json", "w"), indent=1)
