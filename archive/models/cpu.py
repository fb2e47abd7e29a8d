"""What the CPU is: its model name and instruction-set flags, read once from /proc/cpuinfo.

The precision probe keys its choice by them, bf16 autocast is offered only where the CPU has it, and the int8
kernel check names the CPU's integer dot-product instructions: one reader for all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

VNNI = ("avx512_vnni", "avx_vnni", "amx_int8")  # integer dot products summed straight into 32 bits
BF16 = ("avx512_bf16", "amx_bf16")  # bfloat16 computed natively


@dataclass(frozen=True)
class CpuInfo:
    name: str
    flags: frozenset[str]

    def has_any(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``names`` this CPU has, in the order given."""
        return tuple(n for n in names if n in self.flags)


@cache
def cpu_info() -> CpuInfo | None:
    """The first CPU's model name and flags; None where /proc/cpuinfo cannot be read (not Linux)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return None
    lines = info.splitlines()
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return CpuInfo(name, frozenset(flags))
