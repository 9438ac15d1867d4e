"""PyTorch reference for `./run.sh bench --what train`: the same GPT-2-small training step
(random weights, AdamW, MLE or EMO as in the EMO authors' gpt2.py: DEMD = 1 - <E^T q, E[y]> by
autograd), timed on this machine's CPU. Prints one line per objective: seconds per step, tokens/s.

Run by bench/compare.sh with Debian's python3-torch (/usr/bin/python3)."""
import argparse, json, math, time, resource
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.c_fc, self.m_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask, past=None):
        """x [B, T, d]; mask [T, T] or None; past: cached (keys, values) [B, H, P, hd] for sampling.
        Returns the block's output and its (keys, values) [B, H, P+T, hd]."""
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)              # [B, H, T, P+T]
        if mask is not None:
            att = att + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(y)
        return x + self.m_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)


class GPT2(nn.Module):
    def __init__(self, vocab=50257, d=768, layers=12, heads=12, positions=1024):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        t = ids.shape[1]
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = self.wte(ids) + self.wpe(torch.arange(t))
        for blk in self.h:
            x, _ = blk(x, mask)
        return self.ln_f(x) @ self.wte.weight.t()                            # tied head


def loss_fn(objective, logits, ids, cost):
    z = logits[:, :-1].reshape(-1, logits.shape[-1])
    y = ids[:, 1:].reshape(-1)
    mle = F.cross_entropy(z, y, reduction="none")
    if objective == "mle":
        return mle.mean()
    q = z.softmax(-1)
    demd = 1 - ((q @ cost) * cost[y]).sum(-1)                                # two V-sized products under autograd
    return (0.5 * (mle + (mle / (demd + 1e-10)).detach() * demd)).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--micro_batch", type=int, default=2)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--objectives", default="mle,emo")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the figures here (what bench/compare.sh reads)")
    a = ap.parse_args()
    figures = {}
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for objective in a.objectives.split(","):
        model = GPT2()
        cost = F.normalize(model.wte.weight.detach().clone(), dim=-1)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
        times = []
        for step in range(a.steps):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            for _ in range(a.batch // a.micro_batch):
                ids = torch.randint(0, 50257, (a.micro_batch, a.length))
                loss = loss_fn(objective, model(ids), ids, cost) / (a.batch // a.micro_batch)
                loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        steady = sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024     # process peak so far (objectives run in order)
        figures[objective] = {"tokens_per_s": a.batch * a.length / steady, "seconds_per_step": steady,
                              "peak_rss_mb": rss, "seconds_by_step": times}
        print(f"pytorch {objective:6s} {steady:7.2f} s/step  {a.batch * a.length / steady:6.1f} tokens/s  "
              f"(steps {[round(t, 2) for t in times]}, peak RSS {rss} MB, torch {torch.__version__}, {a.threads} threads)", flush=True)

    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
