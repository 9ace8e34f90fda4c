"""Runs the reference implementation (alexzhang13/rlm) once for bench/peer.ts.

Usage: python3 reference_driver.py BASE_URL CONTEXT_FILE MAX_ITERATIONS
PYTHONPATH must hold the reference checkout and bench/peer/stubs (stand-ins for `openai` and `rich`).
"""
import sys

from rlm import RLM


def main():
    base_url, context_file, max_iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(context_file, encoding='utf-8') as f:
        context = f.read()
    rlm = RLM(
        backend='openai',
        backend_kwargs={'model_name': 'peer-root', 'base_url': base_url, 'api_key': 'peer'},
        environment='local',
        max_iterations=max_iterations,
        verbose=False,
    )
    result = rlm.completion(context, root_prompt='Benchmark question: reply as scripted.')
    print(result.response)


if __name__ == '__main__':
    main()
