# Reference token ids from transformers' own tokenizer for stories260K (run on a machine with
# transformers installed; the output, expected_ids.json, is what the C++ tests compare with).
#   python3 make_expected.py ../models/stories260K expected_ids.json
import json, sys
from transformers import AutoTokenizer

model, out = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(model)
here = __file__.rsplit('/', 1)[0]
cases = {}
strings = ["Once upon a time", "Once upon a time, there was a little girl named Lily.",
           "Hello world", " leading space", "double  space", "new\nline", "café naïve", "😀 emoji",
           "Tabs\tand\ttabs", "", "a", "The end."]
for s in strings:
    cases[s] = tok.encode(s, add_special_tokens=False)
files = {}
for name in ["tinyshakespeare_20k.txt", "sotu_eval_20k.txt"]:
    text = open(f"{here}/{name}", encoding="utf-8").read()
    files[name] = tok.encode(text, add_special_tokens=False)
with_special = {s: tok.encode(s) for s in strings[:2]}
decoded = {name: tok.decode(ids) for name, ids in files.items()}
json.dump({"transformers": __import__("transformers").__version__,
           "tokenizer_class": type(tok).__name__,
           "strings": cases, "files": files, "with_special_tokens": with_special,
           "decode_roundtrip_equal": {n: decoded[n] == open(f"{here}/{n}", encoding="utf-8").read()
                                      for n in files}},
          open(out, "w"), ensure_ascii=False)
print("wrote", out, {k: len(v) for k, v in files.items()})
