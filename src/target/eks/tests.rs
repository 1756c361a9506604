//! Rules of the EKS target, on models built in code.
