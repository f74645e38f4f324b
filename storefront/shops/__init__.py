"""Many shops on one deployment: the registry (platform store), the shop context every request,
job and command runs in, the per-shop database routing, settings and caches. A fresh install is
one shop, "default", exactly as before."""
