"""ERP port (protocol) and its adapters; NetSuite is the first (`retail_sync.erp.netsuite`)."""

from retail_sync.erp.port import (
    Account,
    ERPError,
    ERPPort,
    ERPRejected,
    ERPUnavailable,
    GLLine,
    JournalEntryDraft,
    JournalLineDraft,
    OnHand,
    Period,
    PostedJournal,
    PostResult,
)

__all__ = [
    "Account",
    "ERPError",
    "ERPPort",
    "ERPRejected",
    "ERPUnavailable",
    "GLLine",
    "JournalEntryDraft",
    "JournalLineDraft",
    "OnHand",
    "Period",
    "PostResult",
    "PostedJournal",
]
