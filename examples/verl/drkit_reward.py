"""verl custom reward function that scores through `drkit serve reward` (a client example).

    custom_reward_function.path=examples/verl/drkit_reward.py custom_reward_function.name=compute_score

Set DRKIT_REWARD_URL when the server is not at http://127.0.0.1:8001.
"""
import json
import os
import urllib.request

URL = os.environ.get("DRKIT_REWARD_URL", "http://127.0.0.1:8001") + "/compute_score"


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    # numpy arrays / scalars from the parquet become plain JSON through .tolist()
    body = {"data_source": data_source, "solution_str": solution_str, "ground_truth": ground_truth, "extra_info": extra_info or {}}
    data = json.dumps(body, default=lambda value: value.tolist() if hasattr(value, "tolist") else str(value)).encode()
    request = urllib.request.Request(URL, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())  # {"score": ..., "em": ..., ...}; verl uses "score"


if __name__ == "__main__":  # python examples/verl/drkit_reward.py '<answer>Paris</answer>' Paris
    import sys

    print(json.dumps(compute_score(sys.argv[3] if len(sys.argv) > 3 else "nq", sys.argv[1], {"target": [sys.argv[2]]})))
