"""torchrun / torch.distributed: who this process is, and which device it drives.

Launched as ``torchrun --nproc_per_node=K -m spt_core.cli train ...`` every process reads
RANK / WORLD_SIZE / LOCAL_RANK from the environment; without them the run is one process.
CUDA processes use NCCL, CPU processes gloo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from spt_core.devices import resolve_device


@dataclass
class DistributedContext:
    """Rank, world size and device of this process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: object = None
    initialised: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "auto") -> DistributedContext:
        """Set up from torchrun's environment variables (one process when they are absent)."""
        import torch
        import torch.distributed as dist

        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls(device=resolve_device(device))
        rank = int(os.environ["RANK"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        chosen = resolve_device(device)
        if chosen.type == "cuda":
            chosen = torch.device("cuda", local_rank)
            torch.cuda.set_device(chosen)
        backend = "nccl" if chosen.type == "cuda" else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend=backend)
        return cls(
            rank=rank, world_size=world, local_rank=local_rank, device=chosen, initialised=True
        )

    def wrap(self, module):
        """DistributedDataParallel around ``module`` when there are several processes."""
        if self.world_size <= 1:
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """Average named floats over all processes (identity for one process)."""
        if self.world_size <= 1 or not values:
            return values
        import torch
        import torch.distributed as dist

        keys = sorted(values)
        tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        tensor /= self.world_size
        return dict(zip(keys, tensor.tolist(), strict=True))

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.initialised:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
            self.initialised = False
