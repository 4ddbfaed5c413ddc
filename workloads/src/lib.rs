pub fn placeholder_workloads() {}
