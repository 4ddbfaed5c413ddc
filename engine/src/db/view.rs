//! The read view: everything a lookup or scan reads (the memtables, the
//! version, its blob files and the tables opened so far), published as a
//! whole whenever any part changes, so that readers do not take the
//! database lock.
//!
//! Who takes which lock:
//! - A reader clones the current [`ReadView`] (an `Arc`, under a lock held
//!   for that clone only), then reads the last published sequence number,
//!   and searches the view at that sequence. Each memtable it searches is
//!   read-locked for that one search; tables are read without any lock.
//! - The one writer at a time (the writer gate) appends to the WAL and
//!   inserts into the active memtable (write-locked for the insert) without
//!   the database lock, then publishes the batch's last sequence number.
//!   (The deterministic mode keeps the database lock meanwhile: it does all
//!   its work on the writer's thread.)
//! - Every change of the view (memtable rotation, installed version, flushed
//!   memtable, tables opened) is made under the database lock and
//!   republished before the lock is released.
//!
//! Why a reader sees no half-applied batch and never goes back in time: a
//! sequence number is published only after every entry up to it is in the
//! memtable, and the view is read before the sequence. A view holds every
//! write up to the sequence, except writes to a memtable made active after
//! the view was taken; those are newer than anything in the view, so the
//! reader sees the database as of the end of the view's active memtable
//! (a consistent prefix), and a later read takes a later view.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::blob::BlobSet;
use crate::clock::Clock;
use crate::int_hash::BuildIntHasher;
use crate::key::SeqNo;
use crate::memtable::Memtable;
use crate::merge_op::MergeOperatorChoice;
use crate::sst::Table;
use crate::version::Version;

/// Open tables by file number.
pub(super) type OpenTables = HashMap<u64, Arc<Table>, BuildIntHasher>;

/// A memtable behind its own lock: the writer inserts under `write`,
/// readers search under `read`. Once immutable it is only ever read (the
/// lock is then uncontended).
#[derive(Debug, Default)]
pub(super) struct MemtableCell(RwLock<Memtable>);

impl MemtableCell {
    pub(super) fn new(mem: Memtable) -> Self {
        MemtableCell(RwLock::new(mem))
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, Memtable> {
        // A panic mid-insert leaves a memtable whose entries were all
        // written whole (a node is linked only once stored); read on.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, Memtable> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// What readers read, as of one moment of the database lock.
pub(super) struct ReadView {
    /// The active memtable (the writer may still insert into it).
    pub mem: Arc<MemtableCell>,
    /// Memtables waiting for flush, newest first.
    pub imm: Vec<Arc<MemtableCell>>,
    pub version: Arc<Version>,
    /// The blob files of `version`.
    pub blobs: Arc<BlobSet>,
    /// The tables opened when the view was published, by file number: a
    /// table of `version` missing here is opened under the database lock.
    pub tables: Arc<OpenTables>,
    /// Every table of `version` is open in `tables` and none holds range
    /// tombstones: a scan may then take a run's tables as its cursor
    /// reaches them instead of gathering them all first.
    pub lazy_scans: bool,
}

impl ReadView {
    /// The memtables, newest first.
    pub(super) fn memtables(&self) -> impl Iterator<Item = &Arc<MemtableCell>> {
        std::iter::once(&self.mem).chain(self.imm.iter())
    }
}

/// What never changes while the database is open and readers need.
pub(super) struct ReadContext {
    pub dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    pub merge_operator: MergeOperatorChoice,
}

/// The view and sequence number readers take, and the counters they bump.
pub(super) struct Published {
    view: Mutex<Arc<ReadView>>,
    /// The last sequence number whose batch is wholly in the memtable.
    seq: AtomicU64,
    pub context: ReadContext,
    /// Point lookups and scans served (`EngineStats::gets`, `scans`).
    pub gets: AtomicU64,
    pub scans: AtomicU64,
}

impl Published {
    pub(super) fn new(view: ReadView, seq: SeqNo, context: ReadContext) -> Self {
        Published {
            view: Mutex::new(Arc::new(view)),
            seq: AtomicU64::new(seq),
            context,
            gets: AtomicU64::new(0),
            scans: AtomicU64::new(0),
        }
    }

    /// The current view, then the last published sequence number (in this
    /// order: see the module comment).
    pub(super) fn load(&self) -> (Arc<ReadView>, SeqNo) {
        let view = self.view.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (view, self.seq.load(Ordering::Acquire))
    }

    /// Replaces the view (under the database lock).
    pub(super) fn set_view(&self, view: ReadView) {
        let old = std::mem::replace(
            &mut *self.view.lock().unwrap_or_else(|e| e.into_inner()),
            Arc::new(view),
        );
        // The old view's last reference may go here, out of the view lock.
        drop(old);
    }

    /// Makes `seq` visible; every entry up to it must be in a memtable.
    pub(super) fn set_seq(&self, seq: SeqNo) {
        self.seq.store(seq, Ordering::Release);
    }
}
