cmd_Release/obj.target/pocketsphinx_binding/pocketsphinx_binding.o := g++ -o Release/obj.target/pocketsphinx_binding/pocketsphinx_binding.o ../pocketsphinx_binding.cc '-DNODE_GYP_MODULE_NAME=pocketsphinx_binding' '-DUSING_UV_SHARED=1' '-DUSING_V8_SHARED=1' '-DV8_DEPRECATION_WARNINGS=1' '-D_GLIBCXX_USE_CXX11_ABI=1' '-D_FILE_OFFSET_BITS=64' '-D_LARGEFILE_SOURCE' '-D__STDC_FORMAT_MACROS' '-DOPENSSL_NO_PINSHARED' '-DOPENSSL_THREADS' '-DNAPI_VERSION=8' '-DNAPI_CPP_EXCEPTIONS' '-DBUILDING_NODE_EXTENSION' -I/usr/include/node -I/usr/src -I/usr/deps/openssl/config -I/usr/deps/openssl/openssl/include -I/usr/deps/uv/include -I/usr/deps/zlib -I/usr/deps/v8/include -I../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api -I/usr/include/sphinxbase -I/usr/include/pocketsphinx -I/usr/include/x86_64-linux-gnu -I/usr/include/x86_64-linux-gnu/sphinxbase  -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -m64 -O3 -fno-omit-frame-pointer -fno-rtti -std=gnu++17 -std=c++17 -fexceptions -MMD -MF ./Release/.deps/Release/obj.target/pocketsphinx_binding/pocketsphinx_binding.o.d.raw   -c
Release/obj.target/pocketsphinx_binding/pocketsphinx_binding.o: \
 ../pocketsphinx_binding.cc \
 ../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi.h \
 /usr/include/node/node_api.h /usr/include/node/js_native_api.h \
 /usr/include/node/js_native_api_types.h \
 /usr/include/node/node_api_types.h \
 ../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi-inl.h \
 ../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi.h \
 ../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi-inl.deprecated.h \
 /usr/include/pocketsphinx/pocketsphinx.h \
 /usr/include/pocketsphinx/pocketsphinx_export.h \
 /usr/include/pocketsphinx/cmdln_macro.h \
 /usr/include/pocketsphinx/ps_lattice.h \
 /usr/include/pocketsphinx/ps_mllr.h \
 /usr/include/pocketsphinx/ps_search.h
../pocketsphinx_binding.cc:
../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi.h:
/usr/include/node/node_api.h:
/usr/include/node/js_native_api.h:
/usr/include/node/js_native_api_types.h:
/usr/include/node/node_api_types.h:
../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi-inl.h:
../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi.h:
../../../../../node_modules/.pnpm/node-addon-api@8.9.2/node_modules/node-addon-api/napi-inl.deprecated.h:
/usr/include/pocketsphinx/pocketsphinx.h:
/usr/include/pocketsphinx/pocketsphinx_export.h:
/usr/include/pocketsphinx/cmdln_macro.h:
/usr/include/pocketsphinx/ps_lattice.h:
/usr/include/pocketsphinx/ps_mllr.h:
/usr/include/pocketsphinx/ps_search.h:
