// dist/cjs holds CommonJS files in a package whose "type" is "module": this marks them as what they are.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
