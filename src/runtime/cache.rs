//! The on-disk cache of precompiled modules. An artifact is keyed by the SHA-256 of the module's
//! bytes, the engine's name (`cranelift-speed`, `winch`, `pulley`, ...) and its compatibility
//! hash, written atomically (temporary file + rename), and
//! only loaded from a directory owned by this user and closed to others: Nebula deserializes
//! only artifacts it compiled itself.

use anyhow::{bail, Context, Result};
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use wasmtime::{Engine, Module};

/// How a module was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Loaded from a precompiled artifact on disk.
    Hit,
    /// Compiled now and written to the cache.
    Compiled,
}

/// A module and what getting it cost.
pub struct Loaded {
    /// The compiled module.
    pub module: Module,
    /// Whether it came from the cache or was compiled now.
    pub status: CacheStatus,
    /// How long loading or compiling it took.
    pub took: Duration,
    /// Hex SHA-256 of the module's bytes (the artifact's key).
    pub sha256: String,
}

/// The directory of precompiled module artifacts, owned by this user and closed to others.
pub struct ModuleCache {
    dir: PathBuf,
    engine: String,
    compat: String,
}

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl ModuleCache {
    /// `$NEBULA_CACHE_DIR`, else `$XDG_CACHE_HOME/nebula/modules`, else `~/.cache/nebula/modules`.
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("NEBULA_CACHE_DIR") {
            return PathBuf::from(d);
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("nebula").join("modules")
    }

    /// Opens (creating it if needed) the cache at `dir` for artifacts of `engine`, named `name`
    /// in the artifacts' file names; an error when another user owns it. The name keeps apart
    /// engines whose artifacts wasmtime would load into one another: code of one Cranelift opt
    /// level loads into an engine of another (it is compatible, but not the code measured).
    pub fn open(dir: &Path, engine: &Engine, name: &str) -> Result<ModuleCache> {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create the module cache {}: choose another with NEBULA_CACHE_DIR",
                dir.display()
            )
        })?;
        let meta = std::fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        if meta.uid() != uid {
            bail!(
                "the module cache {} belongs to another user (uid {}): use a cache of your own with NEBULA_CACHE_DIR",
                dir.display(),
                meta.uid()
            );
        }
        if meta.mode() & 0o022 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).with_context(|| {
                format!(
                    "the module cache {} is writable by others and cannot be closed: chmod 700 it",
                    dir.display()
                )
            })?;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Ok(ModuleCache {
            dir: dir.to_path_buf(),
            engine: name.to_string(),
            compat: format!("{:016x}", h.finish()),
        })
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The artifact path for a module digest: `<sha256>-<engine>-<compatibility hash>.cwasm`.
    pub fn artifact_path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}-{}.cwasm", self.engine, self.compat))
    }

    /// Load the module for `bytes` from the cache, or compile it and store it.
    pub fn load_or_compile(&self, engine: &Engine, bytes: &[u8]) -> Result<Loaded> {
        let t0 = Instant::now();
        let sha256 = crate::digest::sha256_hex(bytes);
        let path = self.artifact_path(&sha256);
        if let Some(module) = self.try_load(engine, &path)? {
            return Ok(Loaded {
                module,
                status: CacheStatus::Hit,
                took: t0.elapsed(),
                sha256,
            });
        }
        let module = Module::new(engine, bytes).map_err(|e| super::describe_compile_error(e.into()))?;
        // A cache that cannot be written costs speed, not correctness: the module still runs.
        if let Err(e) = self.store(&module, &path) {
            tracing::warn!("module cache not written: {e:#}");
        }
        Ok(Loaded {
            module,
            status: CacheStatus::Compiled,
            took: t0.elapsed(),
            sha256,
        })
    }

    /// The cached module, or `None` to compile it (no artifact, or one that cannot be used). A
    /// module refused for its memory (more than the memory cap: the artifact is fine) is an
    /// error, not a bad artifact to compile again.
    fn try_load(&self, engine: &Engine, path: &Path) -> Result<Option<Module>> {
        if !path.is_file() {
            return Ok(None);
        }
        // SAFETY: the artifact was written by this program, whole (renamed into place), into a
        // directory only this user can write (checked in `open`). wasmtime still checks its
        // header and the engine compatibility before use.
        match unsafe { Module::deserialize_file(engine, path) } {
            Ok(m) => Ok(Some(m)),
            Err(e) => {
                let e = anyhow::Error::from(e);
                if super::memory_over_cap(&format!("{e:#}")).is_some() {
                    return Err(super::describe_compile_error(e));
                }
                tracing::warn!("cached artifact {} unusable ({e}); recompiling", path.display());
                Ok(None)
            }
        }
    }

    fn store(&self, module: &Module, path: &Path) -> Result<()> {
        let bytes = module.serialize().map_err(anyhow::Error::from)?;
        let seq = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!(".tmp-{}-{seq}", std::process::id()));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}
