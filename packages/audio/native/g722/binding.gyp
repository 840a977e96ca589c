{
  "targets": [
    {
      "target_name": "parley_g722",
      "sources": ["g722_binding.c"],
      "cflags": ["-O3"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
