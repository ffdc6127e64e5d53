def navigation(request):
    """Which top-level section is active, for the navigation bar."""
    match = getattr(request, "resolver_match", None)
    return {"nav_section": match.namespace if match else ""}
