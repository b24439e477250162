"""The sandbox world generator: `generate_world` and the `retail-sync sandbox generate` command.

Modules by job: `catalog` (shops, products, ERP reference data, id blocks), `orders` (with
`order_facts`, `checkout` and `refunds`), `payments` (balance transactions and payouts), `ledger`
(the existing integration's postings), `discrepancies` (selection and the truth file),
`inventory`, `writer` (output folder and JSONL), `command` (CLI).
"""

from retail_sync.sandbox.generate.command import add_generate_arguments, run_generate
from retail_sync.sandbox.generate.world_generator import GenerationSummary, generate_world

__all__ = ["GenerationSummary", "add_generate_arguments", "generate_world", "run_generate"]
