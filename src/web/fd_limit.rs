//! Raises the open-file limit to what the server needs, as far as the system allows.
//!
//! Every connection is a file descriptor. Many systems start processes with a soft limit
//! of 1024 while allowing far more (the hard limit): with the default, 1,000 idle
//! connections were enough to make `accept` fail and every page stop answering. The soft
//! limit is raised to the hard limit (never lowered); if that is still below
//! `limits.max_connections` plus room for the database, mail and files, start-up says so.

/// Descriptors kept for things other than client connections.
const RESERVED: libc::rlim_t = 256;

pub fn raise(max_connections: usize) {
    let needed = max_connections as libc::rlim_t + RESERVED;
    match raise_soft_to_hard() {
        Ok(limit) if limit < needed => tracing::warn!(
            open_files = limit,
            needed,
            "the open-file limit is below limits.max_connections plus {RESERVED}; \
             raise it (ulimit -n, LimitNOFILE=) or lower limits.max_connections"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the open-file limit"),
    }
}

/// The soft limit after raising it to the hard limit.
fn raise_soft_to_hard() -> std::io::Result<libc::rlim_t> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        lim = raised;
    }
    Ok(lim.rlim_cur)
}
