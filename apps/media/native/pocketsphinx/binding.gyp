{
  "targets": [
    {
      "target_name": "pocketsphinx_binding",
      "sources": ["pocketsphinx_binding.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I pocketsphinx | sed s/-I//g)"
      ],
      "libraries": ["<!@(pkg-config --libs pocketsphinx)"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
