//! Manual systems: tasks for the systems nobody can automate.
