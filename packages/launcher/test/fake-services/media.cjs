require('./serve.cjs')('MEDIA_PORT');
