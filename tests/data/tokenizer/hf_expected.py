# Run where transformers is installed (the project's GPU machine): writes the ids transformers'
# tokenizers give for the strings the tests use, to hf_expected.json (copied next to this file).
import json, os, sys, transformers
from transformers import AutoTokenizer, PreTrainedTokenizerFast
here = os.path.dirname(os.path.abspath(__file__))
data = os.path.dirname(here)
strings = ["Once upon a time", "Hello world", " leading space", "two  spaces\n\nand newlines\n",
           "é", "café 😀 naïve", "Once upon a time, there was a little girl named Lily.",
           "First Citizen:\nBefore we proceed any further, hear me speak.", "<s>Hi</s> there",
           "", " ", "The thing's THE world 12345 café\n\n world!!  \n x", "Hello<|endoftext|>the world",
           "I'M sure they'LL go\r\n\r\n  ok 1234567", "x = a+b;  // 3.14\t\ttab"]
out = {"transformers": transformers.__version__, "strings": strings, "models": {}}
def load(name):
    d = os.path.join(data, "models", name) if name == "stories260K" else os.path.join(here, name)
    try:
        return AutoTokenizer.from_pretrained(d)
    except Exception as e:
        print("AutoTokenizer failed for", name, e, file=sys.stderr)
        return PreTrainedTokenizerFast(tokenizer_file=os.path.join(d, "tokenizer.json"))
for name in ("stories260K", "gpt2_tiny", "llama3_tiny"):
    t = load(name)
    r = {"class": type(t).__name__, "plain": [t(s, add_special_tokens=False)["input_ids"] for s in strings],
         "special": [t(s, add_special_tokens=True)["input_ids"] for s in strings]}
    r["decoded"] = [t.decode(ids) for ids in r["plain"]]
    r["bos"], r["eos"], r["len"] = t.bos_token_id, t.eos_token_id, len(t)
    if name == "stories260K":
        text = open(os.path.join(data, "corpus", "tinyshakespeare_20k.txt"), encoding="utf-8").read()
        r["tinyshakespeare_20k"] = t(text, add_special_tokens=False)["input_ids"]
        r["tinyshakespeare_20k_roundtrip"] = t.decode(r["tinyshakespeare_20k"]) == text
    out["models"][name] = r
json.dump(out, open(os.path.join(os.environ.get("OUT", here), "hf_expected.json"), "w"), ensure_ascii=False)
print("ok", transformers.__version__)
