//! The input model.
