// SPEC §12 on local file storage (UPLOAD_STORAGE=local, the default).

import { localStorage } from './uploads-kit'
import { uploadSuite } from './uploads-suite'
import { accessSuite } from './uploads-access-suite'

const storage = localStorage()
uploadSuite(() => storage)
accessSuite(() => storage)
