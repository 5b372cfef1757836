//! Resource types of group tenantry.dev/v1alpha1.
