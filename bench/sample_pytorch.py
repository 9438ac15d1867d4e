"""PyTorch reference for `./run.sh bench --what generate`: ancestral sampling from the same
GPT-2-small shape (random weights) with a KV cache, timed end to end (prefill included) on this
machine's CPU: B prompts of L random tokens, N new tokens each (the prompt pass gives the first, then
N - 1 one-token steps, as the Java generator does), logits for every position of each pass as
Hugging Face's GPT2LMHeadModel computes them. Prints one line; with --json writes the figures.

Run by bench/compare.sh with Debian's python3-torch (/usr/bin/python3)."""
import argparse, json, resource, time
import torch
import torch.nn.functional as F
from train_step_pytorch import GPT2


def forward(model, ids, past, start):
    t = ids.shape[1]
    mask = torch.full((t, t), float("-inf")).triu(1) if t > 1 else None
    x = model.wte(ids) + model.wpe(torch.arange(start, start + t))
    present = []
    for i, blk in enumerate(model.h):
        x, kv = blk(x, mask, past[i] if past else None)
        present.append(kv)
    return model.ln_f(x) @ model.wte.weight.t(), present                             # [B, T, V]


@torch.no_grad()
def generate(model, prompts, new_tokens):
    logits, past = forward(model, prompts, None, 0)
    length = prompts.shape[1]
    out = []
    for n in range(new_tokens):
        nxt = torch.multinomial(logits[:, -1].softmax(-1), 1)                          # [B, 1]
        out.append(nxt)
        if n + 1 < new_tokens:
            logits, past = forward(model, nxt, past, length + n)
    return torch.cat(out, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--new_tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = GPT2().eval()
    prompts = torch.randint(0, 50257, (a.batch, a.length))
    generate(model, prompts, 2)                                                        # warm-up
    t0 = time.perf_counter()
    generate(model, prompts, a.new_tokens)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    tps = a.batch * a.new_tokens / seconds
    print(f"pytorch sampling batch {a.batch} x {a.length} + {a.new_tokens}: {seconds:.1f} s, {tps:.1f} tokens/s, "
          f"peak RSS {rss} MB, torch {torch.__version__}, {a.threads} threads", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tokens_per_s": tps, "seconds": seconds, "peak_rss_mb": rss}, f, indent=1)


if __name__ == "__main__":
    main()
