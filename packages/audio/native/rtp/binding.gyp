{
  "targets": [
    {
      "target_name": "parley_rtp",
      "sources": ["rtp_engine.cc", "core.cc", "session.cc", "payload_encoder.cc", "receiver.cc", "realtime.cc", "wake_probe.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wno-unused-function"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
